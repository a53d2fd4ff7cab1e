"""Pull: write a project folder from the server (the inverse of loading one).

`run` drives a pull; `layout` decides the files' contents, `guard` protects local edits and
`write` keeps every write inside the folder. (The package is not `pbsync/pull/`: `pbsync.pull` is
the library function, and a submodule of that name would replace it on import.)
"""
