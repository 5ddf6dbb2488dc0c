from loa.cli import main

main()
