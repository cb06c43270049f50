"""BOTPY's scanner pairlist where freqtrade's PairListResolver looks for it.

The resolver only accepts a class defined in a file of a folder it searches; this folder is added
to its search path by `botpy_ext.freqtrade_plugins`. The implementation is
`botpy_ext.scanner.pairlist.ScannerPairList`.
"""

from botpy_ext.scanner.pairlist import ScannerPairList


class BotpyScannerPairList(ScannerPairList):
    """BOTPY market scanner (see botpy_ext/scanner/pairlist.py)."""
