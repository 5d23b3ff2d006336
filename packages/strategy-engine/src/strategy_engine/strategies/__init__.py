"""Built-in strategies; ``strategy_engine.registry`` maps their names to classes."""

from strategy_engine.strategies.bollinger_reversion import BollingerReversion
from strategy_engine.strategies.buy_and_hold import BuyAndHold
from strategy_engine.strategies.donchian_breakout import DonchianBreakout
from strategy_engine.strategies.ema_cross import EmaCross
from strategy_engine.strategies.macd_cross import MacdCross
from strategy_engine.strategies.rsi_reversion import RsiReversion
from strategy_engine.strategies.sma_cross import SmaCross

__all__ = [
    "BollingerReversion",
    "BuyAndHold",
    "DonchianBreakout",
    "EmaCross",
    "MacdCross",
    "RsiReversion",
    "SmaCross",
]
