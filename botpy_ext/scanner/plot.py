"""FreqUI chart of the strategy: EMA9 and the 15m Bollinger Bands on price, the scanner score,
RSI, ADX, ATR % and the OBV/CVD flows below."""

GOLD = "#f0b90b"
GREY = "#5b6170"

PLOT_CONFIG = {
    "main_plot": {
        "ema_fast": {"color": GOLD},
        "bb_upper_15m": {"color": GREY},
        "bb_lower_15m": {"color": GREY, "fill_to": "bb_upper_15m", "fill_color": "#5b617022"},
    },
    "subplots": {
        "Score": {"scan_score": {"color": GOLD, "type": "bar"}},
        "RSI": {"rsi_1h": {"color": "#e8e6e3"}, "rsi_15m": {"color": GREY}},
        "ADX 15m": {"adx_15m": {"color": "#8ab4f8"}},
        "ATR % 15m": {"atr_pct_15m": {"color": "#c58af9"}},
        "OBV / CVD flow (20)": {"obv_flow": {"color": "#8ab4f8"}, "cvd_flow": {"color": GOLD}},
    },
}
