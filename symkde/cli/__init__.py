"""The application layer: the `symkde` command, derivations, numeric checks, figures, report.

:mod:`~symkde.cli.main` parses ``symkde verify | derive | report``;
:mod:`~symkde.cli.derive` and :mod:`~symkde.cli.display` render proofs;
:mod:`~symkde.cli.verification` cross-checks the numeric layer against the reference;
:mod:`~symkde.cli.figures` and :mod:`~symkde.cli.report` draw and write the report
(matplotlib, the ``report`` extra). May import every layer below it; nothing imports it.
"""
