"""Patch-specific knowledge behind one hook each, so the harness's general modules ask
the hook instead of knowing the patch.

* ``settings``: a patch's compile-time setting that a build's label carries
  (``tight_dict+dict-growth5_4``) and the command line sets (``--dict``/``DICT=``); the
  dict-sizing patch's knobs (``dict_knobs``, over scripts/dict_sizing.py) are the one
  registered. scripts/build.py, scripts/charts.py, the report and ``__main__`` ask it
  for the label grammar, the defines, the signature check and the legend text.
* a verification, a command of its own that proves one patch beyond regrtest, is the
  other kind of hook; its registry is scripts/verifications.py, beside this package
  rather than in it, because a proof builds its variant (it imports scripts/build.py,
  which imports this package): the semaphore condvar's model check and stress test
  (scripts/condvar_verify.py) are the one registered, and ``__main__`` adds its command
  and ``make test`` its step from the hook.

A new patch with a setting or a proof of its own adds a hook and registers it there.
"""
