"""Binance's error answer: HTTP status, Binance's code and message (`{"code": -1121, ...}`)."""


class BinanceError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg
