"""Start the smabot chat app: `python app.py` (see bot/app/ for everything it does)."""

from bot.app import main

if __name__ == "__main__":
    main()
