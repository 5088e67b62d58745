"""Alert lifecycle: detections become alerts with suppression, acknowledgement, resolution and escalation.

``book`` holds the pure state machine, one ``AlertBookEntry`` per rule and subject; the worker keeps the
entries in a Faust table keyed by ``alert_key(rule, subject)``, so one worker owns each.
"""
