"""No-effect simulation of the impact headline, full size (500 runs).

Area x period shocks SD 0.3, one funded area, 3 comparison areas, 20 placebo units, 8+8
months, no true effect. The headline (keyed on the placebo permutation test) should
claim a change in at most 7% of runs; the model interval alone is printed for contrast.
Run: python bench/impact_simulation.py
"""

from __future__ import annotations

import time

from geo.impact.simulation import simulate_no_effect

if __name__ == "__main__":
    started = time.perf_counter()
    result = simulate_no_effect(500, shock_sd=0.3, seed=2024, model_runs=500)
    print(f"headline claims a change in {result.claim_rate:.1%} of 500 runs (target <= 7%)")
    print(f"model interval excludes no change in {result.model_claim_rate:.1%} of runs")
    print(f"{time.perf_counter() - started:.0f} s")
