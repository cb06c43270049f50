"""Trade management: position size, scaling in, the frozen trade facts and the stop ladder."""
