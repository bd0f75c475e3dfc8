"""Tasks: the exec service (submit, list, stop, logs, result, deploy), the scheduler thread that
launches and watches them, the per-task wrapper (launch.py), framework recipes, upload and unpack."""
