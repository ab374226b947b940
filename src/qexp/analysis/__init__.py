"""Reading results back: the public reader (`results`, also `qexp.results`), statistics over
circuits (`aggregate`), and what users look at: `show` (tables), `report` and `figures`."""
