"""BOTPY's scanner: the market-wide pairlist, its rows and table (the per-row scanner columns are
the engine's, in `botpy_ext.setups.score`)."""
