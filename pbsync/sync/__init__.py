"""Stages 2-5 of a push: fetch the server's side, plan (pure), apply, record.

`remote` reads a project through pbclient's managers; `compare`, `planner` and `duplicates` are
pure (no I/O) and produce the `actions`; `apply` runs them through the client and `settle`
deletes the copies that appeared while it created, with what it did in a `report`; `record`
keeps what the last sync agreed on in `.pbsync/state.json`, and `marker` a push that began
writing and has not finished in `.pbsync/push-in-progress.json`.
"""
