"""BOTPY's pages next to FreqUI: the scanner view and the History CSV export (`botpy dashboard`)."""
