"""A user's own check, loaded through check._target_ in the tests."""


def reject_three_qubits(result, specs) -> bool:
    return all(spec.circuit.num_qubits != 3 for spec in specs)
