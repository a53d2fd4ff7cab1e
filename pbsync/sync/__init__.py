"""Stages 2-5 of a push: fetch the server's side, plan (pure), apply, record.

`remote` reads a project through pbclient's managers; `compare` and `planner` are pure (no I/O)
and produce the `actions`; `apply` runs them through the client; `record` keeps what the last
sync agreed on in `.pbsync/state.json`.
"""
