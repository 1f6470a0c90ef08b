from gongzhi.core.excel import ImportCommand
from gongzhi.partners.excel import import_partners


class Command(ImportCommand):
    help = "Import governance partners from an .xlsx file (all rows or none)."
    importer = staticmethod(import_partners)
