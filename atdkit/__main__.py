from atdkit.cli import main

main()
