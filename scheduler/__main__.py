"""`python -m scheduler`: the Procfile's scheduler process."""

from scheduler.main import main

main()
