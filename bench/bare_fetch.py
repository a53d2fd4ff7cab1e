"""The floor of P4: read every task page of a project and keep nothing.

    python bench/bare_fetch.py URL API_KEY PROJECT_ID

One keep-alive `requests.Session`, keyset pages of 100 (`last_id`, as pbsync pages), each answer
parsed as JSON and dropped. Prints the number of tasks read.
"""

from __future__ import annotations

import sys

import requests


def main(url: str, api_key: str, project_id: int) -> int:
    """Read every page; return the number of tasks."""
    seen, last_id = 0, 0
    with requests.Session() as session:
        session.headers["Authorization"] = api_key
        while True:
            params = {"project_id": project_id, "limit": 100, "last_id": last_id, "all": 1}
            page = session.get(f"{url}/api/task", params=params, timeout=60).json()
            seen += len(page)
            if len(page) < 100:
                return seen
            last_id = page[-1]["id"]


if __name__ == "__main__":
    print(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
