"""A local IBM Quantum Platform service, for rehearsing the cloud path offline.

It speaks the service's REST protocol to the real, unmodified qiskit-ibm-runtime client:
IAM tokens, the instance lookup, devices built from the client's own fake backends,
batches, jobs run on Aer, tags; and it injects the service's faults on demand. Start it
with `python -m qexp.emulator`; qexp's runner never imports it.
"""
