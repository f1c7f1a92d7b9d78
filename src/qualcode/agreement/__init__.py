"""Inter-coder agreement: statistics core (stats) and the public agreement() API."""
