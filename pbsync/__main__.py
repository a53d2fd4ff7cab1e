from pbsync.cli import main

main()
