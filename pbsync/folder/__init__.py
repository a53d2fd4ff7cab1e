"""Stage 1, load: read and validate a project folder into a `ProjectState`.

`project.LocalProject.load` is the entry point; the other modules each own one part of a folder
(project.toml, safe file reads, task files, helping materials, pbs folders, ignore rules), and
`scaffold` writes a new folder from a template (`pbsync init`).
"""
