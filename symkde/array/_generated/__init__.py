"""Generated special functions of the array engine (see symkde.symbolic.codegen_array)."""
