"""Pure decisions and their vocabulary: every state an enum, dates, the text conversation, the phone
menu, the call script, the schedule and send windows. No Flask, SQLAlchemy or twilio here."""
