from . import bank_collect_provider
