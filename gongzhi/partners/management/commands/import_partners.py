from gongzhi.partners.excel import import_partners
from gongzhi.places.community_io import ImportCommand


class Command(ImportCommand):
    help = "Import governance partners from an .xlsx file (all rows or none)."
    importer = staticmethod(import_partners)
