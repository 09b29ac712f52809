"""The symbolic layer: kernels, stable SymPy nodes and their printer, the model, code generation.

Owns every formula as a SymPy expression (:mod:`~symkde.symbolic.kernels`,
:mod:`~symkde.symbolic.model`), the stable nodes that print as log-space NumPy
(:mod:`~symkde.symbolic.nodes`) and the generator of ``symkde/numeric/_generated``
(:mod:`~symkde.symbolic.codegen`, with ``codegen_smooth``, ``codegen_array`` and their shared
command line :mod:`~symkde.symbolic.codegen_cli`). Imports SymPy and ``symkde.errors`` only; nothing
numeric imports this package (the numeric layer runs on the generated code).
"""
