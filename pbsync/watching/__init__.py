"""`pbsync watch`: sync a project folder on every save (the library function is `pbsync.watch`).

`changes` records watchdog's events and says when a burst has settled; `session` syncs only what
an edit changed; `loop` ties them together and tells the preview page how the last sync went.
(The package is not `pbsync/watch/`: `pbsync.watch` is the library function, and a submodule of
that name would replace it on import.)
"""
