"""`python -m mentionwatch` runs the same CLI as the console script."""

from mentionwatch.cli import main

main()
