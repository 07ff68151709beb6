"""Did funded patrols change ASB? Study design, difference-in-differences, WDD, WDQ,
season-matched windows, plain wording, the whole evaluation and the funder report."""
