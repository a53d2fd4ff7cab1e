"""The legacy functions for what is not scoped to a project: projects, categories, users."""

from __future__ import annotations

import logging
from typing import Any

from pbclient.legacy import (
    create_object,
    delete_object,
    get_object,
    get_objects,
    page_params,
    update_object,
)
from pbclient.legacy_objects import Category, Project, User

__all__ = [
    "create_category",
    "create_project",
    "delete_category",
    "delete_project",
    "find_category",
    "find_project",
    "find_users",
    "get_categories",
    "get_category",
    "get_project",
    "get_projects",
    "update_category",
    "update_project",
]

log = logging.getLogger(__name__)


def get_projects(limit: int = 100, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of projects (raises TypeError when the server answers with a non-list)."""
    params = page_params("get_projects", limit, offset, last_id)
    return get_objects("project", Project, params, strict="get_projects")


def get_project(project_id: Any) -> Any:
    """Return the project `project_id`, or the server's error dict."""
    return get_object("project", project_id, Project)


def find_project(**kwargs: Any) -> Any:
    """Return the projects matching the keyword filters (e.g. `short_name=`), or the error dict."""
    return get_objects("project", Project, kwargs)


def create_project(name: str, short_name: str, description: str) -> Any:
    """Create a project; return it, or the server's error dict."""
    body = {"name": name, "short_name": short_name, "description": description}
    return create_object("project", body, Project)


def update_project(project: Any) -> Any:
    """PUT the project's data (minus reserved keys); return the new project or the error dict."""
    return update_object("project", project, Project, strip=True)


def delete_project(project_id: Any) -> Any:
    """Delete a project (and its tasks); return True, or the server's error dict."""
    return delete_object("project", project_id)


# --------------------------------------------------------------------------------------- categories


def get_categories(limit: int = 20, offset: int = 0, last_id: Any = None) -> Any:
    """Return a page of categories (raises TypeError when the server answers with a non-list)."""
    params = page_params("get_categories", limit, offset, last_id)
    return get_objects("category", Category, params, strict="get_categories")


def get_category(category_id: Any) -> Any:
    """Return the category `category_id`, or the server's error dict."""
    return get_object("category", category_id, Category)


def find_category(**kwargs: Any) -> Any:
    """Return the categories matching the keyword filters, or the error dict."""
    return get_objects("category", Category, kwargs)


def create_category(name: str, description: str) -> Any:
    """Create a category (admins only); its short_name is `name` lower-cased without spaces."""
    body = {"name": name, "short_name": name.lower().replace(" ", ""), "description": description}
    return create_object("category", body, Category)


def update_category(category: Any) -> Any:
    """PUT all of the category's data (admins only); return it or the error dict."""
    return update_object("category", category, Category, strip=False)


def delete_category(category_id: Any) -> Any:
    """Delete a category (admins only); return True, or the server's error dict."""
    return delete_object("category", category_id)


def find_users(**kwargs: Any) -> Any:
    """Return the users matching the keyword filters (e.g. `name=`), or the error dict (new)."""
    return get_objects("user", User, kwargs)
