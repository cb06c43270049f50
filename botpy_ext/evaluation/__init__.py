"""`botpy evaluate`: walk-forward folds of real `freqtrade backtesting` runs, baselines and
statistics in one report. Pure statistics (`folds`, `statistics`, `baseline`) are kept apart
from the code that runs freqtrade (`runner`) and writes the report (`report`)."""
