"""The service's notion of today: the date in Vietnam, whatever the server's time zone (a step
taken on the morning of the 1st in Hà Nội is not dated the 31st)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    """Every rule about today reads it here, so that tests can move it."""
    return datetime.now(VIETNAM).date()
