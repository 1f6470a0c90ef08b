from gongzhi.people.excel import import_residents
from gongzhi.places.community_io import ImportCommand


class Command(ImportCommand):
    help = "Import households and residents from an .xlsx file (all rows or none)."
    importer = staticmethod(import_residents)
