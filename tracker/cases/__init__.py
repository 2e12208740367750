"""Cases: filing, clerk actions, deadlines, queries, numbers, contact and letter tasks."""
