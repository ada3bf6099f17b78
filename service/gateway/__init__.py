"""The outside boundary: Twilio (signature check, REST sender, TwiML) and the care team's webhook.
The only code that imports twilio or requests; it holds no business rules."""
