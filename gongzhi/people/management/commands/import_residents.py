from gongzhi.core.excel import ImportCommand
from gongzhi.people.excel import import_residents


class Command(ImportCommand):
    help = "Import households and residents from an .xlsx file (all rows or none)."
    importer = staticmethod(import_residents)
