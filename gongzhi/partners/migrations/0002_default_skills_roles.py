from django.db import migrations

SKILLS = ["水电维修", "法律咨询", "医疗护理", "矛盾调解", "心理疏导", "教育辅导", "园艺绿化", "设计规划",
          "家电维修", "文艺特长", "理发", "停车管理", "宠物管理", "环境卫生", "安全巡查"]
ROLES = [
    ("building_leader", "楼栋长"),
    ("building_party_leader", "楼栋党小组组长"),
    ("party_central_household", "党员中心户"),
    ("grid_worker", "网格员"),
    ("dispatched_cadre", "下沉干部"),
    ("registered_party_member", "居住地报到党员"),
    ("outdoor_worker", "户外工作者"),
    ("community_planner", "社区规划师"),
    ("community_talent", "社区能人"),
    ("senior_party_member", "老党员"),
    ("social_org_leader", "社会组织负责人"),
]


def add_defaults(apps, schema_editor):
    Skill = apps.get_model("partners", "Skill")
    Role = apps.get_model("partners", "Role")
    for name in SKILLS:
        Skill.objects.get_or_create(name=name)
    for code, name in ROLES:
        Role.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
