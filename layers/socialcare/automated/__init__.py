"""The automated messages service: a new case's acknowledgement and the follow-up nudge, through one gate, held in a crisis."""
