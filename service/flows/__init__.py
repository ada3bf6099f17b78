"""One transaction each: load what is needed, let the domain decide, store what it decided.
No Flask and no twilio; a flow never calls another flow."""
