"""``python -m symkde``: the ``symkde`` command line (:mod:`symkde.cli.main`), nothing else."""

from symkde.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
