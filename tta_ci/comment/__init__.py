"""The ``/tta`` pull-request comment feature: parsing commands and handling one comment."""
