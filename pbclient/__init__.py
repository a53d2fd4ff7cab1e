"""PYBOSSA API client: a modern `Client` and the legacy pybossa-client 3.0.0 module API.

The legacy API is a drop-in replacement for pybossa-client 3.0.0's `pbclient` module::

    import pbclient
    pbclient.set('endpoint', 'http://127.0.0.1:5000')
    pbclient.set('api_key', KEY)
    project = pbclient.create_project('Name', 'short_name', 'Description')

Its functions return PYBOSSA's error dict instead of raising, call `pbclient.requests.<method>` (so
test suites can patch it), and send through one shared modern `Client` built from `pbclient._opts`.
`pbclient.Project`, `Category`, `Task`, `TaskRun`, `Result`, `HelpingMaterial` and `DomainObject`
are the legacy domain classes (`Project(data)`); the modern API is `pbclient.Client` and its
managers (`client.projects`, `client.tasks`, ...), its resource classes living in
`pbclient.resources`.
"""

from pbclient import legacy, legacy_helping, legacy_projects, legacy_tasks
from pbclient.client import Client
from pbclient.errors import (
    AuthenticationError,
    BulkCreateError,
    DeadlineError,
    ForbiddenError,
    ForeignURLError,
    InvalidDataError,
    NotFoundError,
    PybossaError,
    RateLimitError,
    RefusedError,
    ResponseError,
    ServerError,
    TransportError,
    UnexpectedAnswerError,
)
from pbclient.legacy import *  # noqa: F403
from pbclient.legacy_helping import *  # noqa: F403
from pbclient.legacy_objects import (
    Category,
    DomainObject,
    HelpingMaterial,
    Project,
    Result,
    Task,
    TaskRun,
)
from pbclient.legacy_projects import *  # noqa: F403
from pbclient.legacy_tasks import *  # noqa: F403
from pbclient.retry import RateLimitWait, RetryPolicy

__all__ = [
    "AuthenticationError",
    "BulkCreateError",
    "Category",
    "Client",
    "DeadlineError",
    "DomainObject",
    "ForbiddenError",
    "ForeignURLError",
    "HelpingMaterial",
    "InvalidDataError",
    "NotFoundError",
    "Project",
    "PybossaError",
    "RateLimitError",
    "RateLimitWait",
    "RefusedError",
    "ResponseError",
    "Result",
    "RetryPolicy",
    "ServerError",
    "Task",
    "TaskRun",
    "TransportError",
    "UnexpectedAnswerError",
]
# the legacy module API: each module's __all__ names what it adds to the package
__all__ += legacy.__all__
__all__ += legacy_projects.__all__
__all__ += legacy_tasks.__all__
__all__ += legacy_helping.__all__
