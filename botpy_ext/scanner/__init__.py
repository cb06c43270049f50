"""BOTPY's scanner: the per-row scanner columns and (later) the market-wide pairlist."""
