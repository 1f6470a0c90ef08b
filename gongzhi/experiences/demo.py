"""The X-community demo's experience library: 300+ entries told by residents, partners and
staff, each a hand-written base (what was done and why it worked) placed in a compound, told
by someone, dated, and linked where it fits to the micro-project, matter or meeting it came
from. Deterministic (``rng``) and idempotent."""

import datetime as dt
import random

from django.utils import timezone

from gongzhi.core.demodates import TODAY
from gongzhi.experiences.models import Experience, ExperienceTag
from gongzhi.places.models import Community, Compound

TARGET = 320

# (title, body, tags, project title it came from or "")
BASES = [
    (
        "垃圾分类“桶边督导”三步法",
        "先由楼栋长和党员在投放高峰守桶，手把手教；再把投放准确率按楼栋公示；最后把督导交给居民轮值。三个月后混投明显减少，关键是让邻居教邻居。",
        "垃圾分类,楼栋自治,党员带头",
        "垃圾中转站改造",
    ),
    (
        "中转站改造前先开“坝坝会”",
        "改造方案先拿到中转站旁边开会，请住得最近的居民先说意见。除臭和洗手池就是他们提的，方案定下来后基本没有反对声音。",
        "议事协商,微改造",
        "垃圾中转站改造",
    ),
    (
        "车棚选址让居民自己画",
        "规划师把小区平面图打印出来贴在公示栏，请居民用贴纸标出想要的位置，再把最集中的两处拿去投票，选址一次通过。",
        "社区规划师,非机动车,预评估",
        "非机动车棚建设",
    ),
    (
        "飞线充电劝导靠“熟人”",
        "网格员挨家劝效果一般，后来请各楼栋长带着车棚建成的消息去说，配合充电优惠，一个月内飞线基本消失。",
        "消防安全,楼栋长,非机动车",
        "非机动车棚建设",
    ),
    (
        "电梯维修资金的公开办法",
        "维修费用每一笔都贴在电梯口，附发票照片和检测报告，居民扫码可以看到进度，大家对分摊费用的意见少了很多。",
        "电梯,公开透明,物业",
        "电梯安全检测与维修",
    ),
    (
        "电梯停运期间的“背楼”志愿队",
        "维修停梯的两周里，志愿者每天帮高层老人背米背菜，提前把停梯时间挨户通知，没有发生一起投诉。",
        "志愿服务,电梯,关爱老人",
        "电梯安全检测与维修",
    ),
    (
        "公园铺路按楼栋分段认领",
        "共同缔造公园的步道分成八段，每个楼栋认领一段，自己组织人手，哪段铺得好大家都看得见，干劲很足。",
        "共同缔造,投工投劳,楼栋自治",
        "共同缔造公园",
    ),
    (
        "种树请老人“认养”",
        "公园的每棵树挂上认养牌，由附近的老人负责浇水，老人有事做，树的成活率也高。",
        "共同缔造,老年人,绿化",
        "共同缔造公园",
    ),
    (
        "座椅用的是居民捐的旧木料",
        "拆旧房剩下的木料由木匠师傅带着年轻人打磨成座椅，花钱少，居民坐着也有感情。",
        "共同缔造,能人带动,节约",
        "共同缔造公园",
    ),
    (
        "议事角要有雨棚和公示栏",
        "议事角一开始只有桌椅，下雨就没人来。加了雨棚和公示栏后，议事结果当场贴出来，来的人越来越多。",
        "议事协商,微空间",
        "楼栋议事角",
    ),
    (
        "长者午餐的“一人一档”",
        "给每位用餐老人建个小档案，记下忌口和慢性病，送餐志愿者发现老人两天没开门就报告网格员。",
        "关爱老人,助餐,网格",
        "长者爱心午餐",
    ),
    (
        "四点半课堂请退休教师当“班主任”",
        "大学生志愿者流动性大，请两位退休教师固定带班，家长放心，孩子也守规矩。",
        "四点半课堂,志愿服务,儿童",
        "四点半课堂",
    ),
    (
        "便民维修日要提前收“订单”",
        "维修日前一周在楼栋群里登记要修的东西，师傅带对零件，当天能多修一倍。",
        "便民服务,微服务",
        "便民维修日",
    ),
    (
        "教老人用手机从“挂号”学起",
        "老人最想学的是挂号和视频通话，先教最急用的，一次只教一件事，教完让他们自己做一遍。",
        "智能手机,数字助老",
        "智能手机课堂",
    ),
    (
        "停车自管小组的收费公开",
        "停车费每月在公示栏公开收支，结余用于画线和装减速带，车主从抵触变成支持。",
        "停车管理,居民自治,公开透明",
        "停车自治管理",
    ),
    (
        "错时停车借用单位车位",
        "和附近单位商量，晚上七点到早上七点开放车位给居民，白天居民车辆不进院，一下缓解了停车难。",
        "停车管理,共建单位",
        "停车自治管理",
    ),
    (
        "楼栋公约由居民自己写",
        "公约不是社区发的，是每个楼栋开会一条条议出来的，写上签名贴在单元门口，大家更愿意遵守。",
        "楼栋公约,居民自治",
        "楼栋公约共议",
    ),
    (
        "三方联席会议的问题清单",
        "党支部、业委会、物业每月坐一起，上月的问题逐条销号，没办完的说明原因和时限。",
        "红色物业,议事协商,清单管理",
        "红色物业议事会",
    ),
    (
        "微心愿认领墙",
        "把老人孩子的心愿写在卡片上贴在社区门口，党员和共建单位现场认领，一周内基本都能认领完。",
        "微心愿,党员带头,共建单位",
        "为独居老人安装紧急呼叫器",
    ),
    (
        "楼道堆物清理先“说清楚”",
        "清理前三天挨户敲门说明，帮行动不便的老人搬，清理后把楼道照片发到群里，反弹很少。",
        "楼道治理,消防安全,邻里沟通",
        "",
    ),
    (
        "邻里纠纷先找楼栋长",
        "漏水、噪音这类小纠纷，先由熟悉两家的楼栋长上门喝杯茶，大多数当场就能说开。",
        "矛盾调解,楼栋长,邻里关系",
        "",
    ),
    (
        "漏水纠纷的“三方到场”",
        "楼上楼下加物业维修工一起到现场看，当场判断原因、当场定维修和费用分担，避免互相推。",
        "矛盾调解,物业,维修",
        "",
    ),
    (
        "噪音扰民的“作息约定”",
        "广场舞队和住户一起商量，定下音量和时间，由队长自己监督，投诉从每周几起降到几乎没有。",
        "矛盾调解,文体活动,约定",
        "",
    ),
    (
        "独居老人每日“敲门”",
        "党员中心户和邻居结对，每天敲一次门或打一个电话，发现异常马上联系家属和网格员。",
        "关爱老人,党员中心户,网格",
        "",
    ),
    (
        "诉求办结后回访要问“还有什么”",
        "回访时不只问满不满意，还问一句还有什么困难，很多新问题就是这样发现的。",
        "接诉即办,回访,满意度",
        "",
    ),
    (
        "下沉干部认领楼栋",
        "下沉干部每人认领一两个楼栋，每月至少去一次，和楼栋长建群，反映的问题直接带回单位协调。",
        "下沉干部,楼栋,共建",
        "",
    ),
    (
        "红色网格员的晨会",
        "每天早上十分钟晨会，网格员把前一天收集的问题过一遍，能现场办的当天派出去。",
        "网格,晨会,接诉即办",
        "",
    ),
    (
        "物业费收缴靠服务说话",
        "物业把每月做了哪些事拍照公示，居民看得见服务，物业费收缴率提高了十几个百分点。",
        "物业,公开透明",
        "",
    ),
    (
        "小区微信群的“群规”",
        "群里只谈小区的事，发现问题@楼栋长，不发广告、不吵架，群主由居民推选轮值。",
        "线上议事,微信群,居民自治",
        "",
    ),
    (
        "议事会表决前先把账算清",
        "凡是要花钱的事，先把预算、来源、每户分摊算清楚贴出来，再表决，通过率高，事后也不扯皮。",
        "议事协商,公开透明,预评估",
        "",
    ),
    (
        "项目完工后请居民打分",
        "每个项目完工后在公示栏和群里同时收评价，打分低的一条条回应，下次规划就改进。",
        "后评估,满意度,微项目",
        "",
    ),
    (
        "规划师驻点“陪伴式”设计",
        "社区规划师每周固定半天在工作室接待居民，图纸改了五稿，每一稿都请居民看过。",
        "社区规划师,共同缔造",
        "",
    ),
    (
        "积分兑换让志愿者更稳定",
        "志愿服务换积分，积分能在超市换米面油，也能换理发，年轻人参加的多了。",
        "志愿积分,激励",
        "",
    ),
    (
        "汛期排水点“一点一人”",
        "每个易积水点落实一名党员和一名居民看守，雨前清淤，雨中巡查，当年没有出现倒灌。",
        "防汛,党员带头,应急",
        "",
    ),
]

PLACE_NOTES = [
    "{compound}的做法：",
    "在{compound}试了一年，",
    "{compound}居民总结：",
    "",
]
TELLERS = ["楼栋长", "党员中心户", "网格员", "社区规划师", "志愿者", "居民代表", "物业经理", "下沉干部", "社区书记"]  # fmt: skip
CLOSINGS = [
    "",
    "后来别的小区也来学。",
    "这件事说明，只要把居民请进来，事情就好办。",
    "经验是：先商量，后动手。",
    "居民说，这是自己的事，自己管。",
    "大家的意见都记在议事本上。",
]


def seed_experiences(community: Community, *, rng: random.Random) -> int:
    """Add about 320 experiences to ``community`` (once). Returns how many were added."""
    from gongzhi.matters.models import Matter
    from gongzhi.meetings.models import Meeting
    from gongzhi.projects.models import Project

    if Experience.objects.filter(community=community).exists():
        return 0
    compounds = list(Compound.objects.filter(community=community).order_by("id"))
    projects = {p.title: p for p in Project.objects.filter(community=community)}
    matter_ids = list(
        Matter.objects.filter(community=community).order_by("id").values_list("id", flat=True)[:500]
    )
    meeting_ids = list(
        Meeting.objects.filter(community=community)
        .order_by("id")
        .values_list("id", flat=True)[:200]
    )
    tag_names = sorted({t for base in BASES for t in base[2].split(",")})
    ExperienceTag.objects.bulk_create(
        [ExperienceTag(name=n) for n in tag_names], ignore_conflicts=True
    )
    tags = {t.name: t for t in ExperienceTag.objects.filter(name__in=tag_names)}
    entries, entry_tags = [], []
    for n in range(TARGET):
        title, body, tag_text, project_title = BASES[n % len(BASES)]
        compound = rng.choice(compounds) if compounds and rng.random() < 0.8 else None
        round_no = n // len(BASES)
        if round_no and compound is not None:
            title = f"{title}（{compound.name}）" if round_no % 2 else f"{compound.name}：{title}"
        elif round_no:
            title = f"{title}（第{round_no + 1}则）"
        prefix = rng.choice(PLACE_NOTES).format(compound=compound.name) if compound else ""
        text = f"{prefix}{body}{rng.choice(CLOSINGS)}"
        day = TODAY - dt.timedelta(days=rng.randrange(1, 720))
        entry = Experience(
            community=community,
            compound=compound,
            title=title[:100],
            body=text,
            project=projects.get(project_title) if project_title else None,
            matter_id=rng.choice(matter_ids)
            if matter_ids and not project_title and rng.random() < 0.4
            else None,
            meeting_id=rng.choice(meeting_ids) if meeting_ids and rng.random() < 0.25 else None,
            contributor=rng.choice(TELLERS),
            created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9 + n % 9))),
        )
        entries.append((entry, tag_text.split(",")))
    Experience.objects.bulk_create([e for e, _t in entries])
    Through = Experience.tags.through
    for entry, names in entries:
        entry_tags += [Through(experience_id=entry.pk, experiencetag_id=tags[t].pk) for t in names]
    Through.objects.bulk_create(entry_tags)
    return len(entries)
