"""The timers service: starts a case's clock (a Step Functions execution) when a case write needs one."""
