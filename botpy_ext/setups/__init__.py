"""BOTPY's three setups, the trend filter, the adaptive profile and the engine combining them."""
