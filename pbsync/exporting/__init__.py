"""Export: a project's tasks, task runs and results out of the server, into files (`pbsync export`).

`source` finds the project (one request) and walks a resource's rows by keyset pages of 100;
`journal` appends them to a JSON lines file that a re-run continues; `convert` turns a finished
JSON lines file into CSV or a JSON array; `run` does the three for the command. Nothing here
prints: progress goes to a callback, errors are `pbsync.errors` and `pbclient.errors` types.
"""
