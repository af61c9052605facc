"""Administrative geography of Pakistan for the registry's demo seed data.

This is public administrative geography (the nation, its provinces and
territories, their divisions and districts), not personal data. It reflects
the administrative set in use during 2023-2024 (after the 2022 Punjab, KP and
Balochistan reorganisations), to the best of our knowledge; recent or disputed
changes are called out in comments next to the affected entries.

Only the levels listed here are real. Tehsils, union councils, villages and
communities below district level in the demo are synthetic.

Codes: provinces use ISO 3166-2 (``PK-PB`` ...). Division and district codes
are ``<province code>-<romanised name>`` in upper-case ASCII with spaces and
punctuation turned into ``-``; division codes end with ``-DIV``.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Province:
    code: str  # ISO 3166-2 code, e.g. "PK-PB"
    name: str


@dataclass(frozen=True, slots=True)
class Division:
    code: str  # e.g. "PK-PB-LAHORE-DIV"
    name: str  # e.g. "Lahore Division"
    province: str  # province code


@dataclass(frozen=True, slots=True)
class District:
    code: str  # e.g. "PK-PB-LAHORE"
    name: str  # e.g. "Lahore"
    province: str  # province code
    division: str | None  # division code; None only for Islamabad
    urdu_name: str  # name in Urdu script (best effort)


NATION_CODE = "PK"
NATION_NAME = "Pakistan"

PROVINCES: tuple[Province, ...] = (
    Province("PK-PB", "Punjab"),
    Province("PK-SD", "Sindh"),
    Province("PK-KP", "Khyber Pakhtunkhwa"),
    Province("PK-BA", "Balochistan"),
    Province("PK-IS", "Islamabad Capital Territory"),
    Province("PK-GB", "Gilgit-Baltistan"),
    Province("PK-JK", "Azad Jammu and Kashmir"),
)

DIVISIONS: tuple[Division, ...] = (
    # Punjab: 10 divisions (Gujrat Division carved out of Gujranwala, 2022).
    Division("PK-PB-BAHAWALPUR-DIV", "Bahawalpur Division", "PK-PB"),
    Division("PK-PB-DERA-GHAZI-KHAN-DIV", "Dera Ghazi Khan Division", "PK-PB"),
    Division("PK-PB-FAISALABAD-DIV", "Faisalabad Division", "PK-PB"),
    Division("PK-PB-GUJRANWALA-DIV", "Gujranwala Division", "PK-PB"),
    Division("PK-PB-GUJRAT-DIV", "Gujrat Division", "PK-PB"),
    Division("PK-PB-LAHORE-DIV", "Lahore Division", "PK-PB"),
    Division("PK-PB-MULTAN-DIV", "Multan Division", "PK-PB"),
    Division("PK-PB-RAWALPINDI-DIV", "Rawalpindi Division", "PK-PB"),
    Division("PK-PB-SAHIWAL-DIV", "Sahiwal Division", "PK-PB"),
    Division("PK-PB-SARGODHA-DIV", "Sargodha Division", "PK-PB"),
    # Sindh: 7 divisions. Banbhore Division (Badin, Sujawal, Thatta; notified
    # 2014) is sometimes folded back into Hyderabad Division in federal
    # statistics (e.g. some 2023 census tables show 6 divisions); kept here as
    # the provincial revenue set.
    Division("PK-SD-BANBHORE-DIV", "Banbhore Division", "PK-SD"),
    Division("PK-SD-HYDERABAD-DIV", "Hyderabad Division", "PK-SD"),
    Division("PK-SD-KARACHI-DIV", "Karachi Division", "PK-SD"),
    Division("PK-SD-LARKANA-DIV", "Larkana Division", "PK-SD"),
    Division("PK-SD-MIRPUR-KHAS-DIV", "Mirpur Khas Division", "PK-SD"),
    Division("PK-SD-SHAHEED-BENAZIRABAD-DIV", "Shaheed Benazirabad Division", "PK-SD"),
    Division("PK-SD-SUKKUR-DIV", "Sukkur Division", "PK-SD"),
    # Khyber Pakhtunkhwa: 7 divisions (former FATA agencies merged 2018).
    Division("PK-KP-BANNU-DIV", "Bannu Division", "PK-KP"),
    Division("PK-KP-DERA-ISMAIL-KHAN-DIV", "Dera Ismail Khan Division", "PK-KP"),
    Division("PK-KP-HAZARA-DIV", "Hazara Division", "PK-KP"),
    Division("PK-KP-KOHAT-DIV", "Kohat Division", "PK-KP"),
    Division("PK-KP-MALAKAND-DIV", "Malakand Division", "PK-KP"),
    Division("PK-KP-MARDAN-DIV", "Mardan Division", "PK-KP"),
    Division("PK-KP-PESHAWAR-DIV", "Peshawar Division", "PK-KP"),
    # Balochistan: 8 divisions (Rakhshan 2017, Loralai split from Zhob 2021).
    Division("PK-BA-KALAT-DIV", "Kalat Division", "PK-BA"),
    Division("PK-BA-LORALAI-DIV", "Loralai Division", "PK-BA"),
    Division("PK-BA-MAKRAN-DIV", "Makran Division", "PK-BA"),
    Division("PK-BA-NASIRABAD-DIV", "Nasirabad Division", "PK-BA"),
    Division("PK-BA-QUETTA-DIV", "Quetta Division", "PK-BA"),
    Division("PK-BA-RAKHSHAN-DIV", "Rakhshan Division", "PK-BA"),
    Division("PK-BA-SIBI-DIV", "Sibi Division", "PK-BA"),
    Division("PK-BA-ZHOB-DIV", "Zhob Division", "PK-BA"),
    # Islamabad Capital Territory has no division.
    # Gilgit-Baltistan: 3 divisions.
    Division("PK-GB-BALTISTAN-DIV", "Baltistan Division", "PK-GB"),
    Division("PK-GB-DIAMER-DIV", "Diamer Division", "PK-GB"),
    Division("PK-GB-GILGIT-DIV", "Gilgit Division", "PK-GB"),
    # Azad Jammu and Kashmir: 3 divisions.
    Division("PK-JK-MIRPUR-DIV", "Mirpur Division", "PK-JK"),
    Division("PK-JK-MUZAFFARABAD-DIV", "Muzaffarabad Division", "PK-JK"),
    Division("PK-JK-POONCH-DIV", "Poonch Division", "PK-JK"),
)

DISTRICTS: tuple[District, ...] = (
    # ------------------------------------------------------------------
    # Punjab (41). Murree, Talagang (2022, Rawalpindi Div.), Kot Addu, Taunsa
    # (2022, D.G. Khan Div.) and Wazirabad (2022, Gujrat Div.) were created
    # in 2022; their notifications were briefly suspended by the 2023
    # caretaker government but they are treated as districts thereafter.
    # ------------------------------------------------------------------
    # Bahawalpur Division
    District("PK-PB-BAHAWALPUR", "Bahawalpur", "PK-PB", "PK-PB-BAHAWALPUR-DIV", "بہاولپور"),
    District("PK-PB-BAHAWALNAGAR", "Bahawalnagar", "PK-PB", "PK-PB-BAHAWALPUR-DIV", "بہاولنگر"),
    District("PK-PB-RAHIM-YAR-KHAN", "Rahim Yar Khan", "PK-PB", "PK-PB-BAHAWALPUR-DIV", "رحیم یار خان"),
    # Dera Ghazi Khan Division
    District(
        "PK-PB-DERA-GHAZI-KHAN", "Dera Ghazi Khan", "PK-PB", "PK-PB-DERA-GHAZI-KHAN-DIV", "ڈیرہ غازی خان"
    ),
    District("PK-PB-KOT-ADDU", "Kot Addu", "PK-PB", "PK-PB-DERA-GHAZI-KHAN-DIV", "کوٹ ادو"),  # 2022
    District("PK-PB-LAYYAH", "Layyah", "PK-PB", "PK-PB-DERA-GHAZI-KHAN-DIV", "لیہ"),
    District("PK-PB-MUZAFFARGARH", "Muzaffargarh", "PK-PB", "PK-PB-DERA-GHAZI-KHAN-DIV", "مظفرگڑھ"),
    District("PK-PB-RAJANPUR", "Rajanpur", "PK-PB", "PK-PB-DERA-GHAZI-KHAN-DIV", "راجن پور"),
    District("PK-PB-TAUNSA", "Taunsa", "PK-PB", "PK-PB-DERA-GHAZI-KHAN-DIV", "تونسہ"),  # 2022
    # Faisalabad Division
    District("PK-PB-FAISALABAD", "Faisalabad", "PK-PB", "PK-PB-FAISALABAD-DIV", "فیصل آباد"),
    District("PK-PB-CHINIOT", "Chiniot", "PK-PB", "PK-PB-FAISALABAD-DIV", "چنیوٹ"),
    District("PK-PB-JHANG", "Jhang", "PK-PB", "PK-PB-FAISALABAD-DIV", "جھنگ"),
    District("PK-PB-TOBA-TEK-SINGH", "Toba Tek Singh", "PK-PB", "PK-PB-FAISALABAD-DIV", "ٹوبہ ٹیک سنگھ"),
    # Gujranwala Division
    District("PK-PB-GUJRANWALA", "Gujranwala", "PK-PB", "PK-PB-GUJRANWALA-DIV", "گوجرانوالہ"),
    District("PK-PB-NAROWAL", "Narowal", "PK-PB", "PK-PB-GUJRANWALA-DIV", "نارووال"),
    District("PK-PB-SIALKOT", "Sialkot", "PK-PB", "PK-PB-GUJRANWALA-DIV", "سیالکوٹ"),
    # Gujrat Division (2022; Hafizabad moved here from Gujranwala Division)
    District("PK-PB-GUJRAT", "Gujrat", "PK-PB", "PK-PB-GUJRAT-DIV", "گجرات"),
    District("PK-PB-HAFIZABAD", "Hafizabad", "PK-PB", "PK-PB-GUJRAT-DIV", "حافظ آباد"),
    District("PK-PB-MANDI-BAHAUDDIN", "Mandi Bahauddin", "PK-PB", "PK-PB-GUJRAT-DIV", "منڈی بہاؤالدین"),
    District("PK-PB-WAZIRABAD", "Wazirabad", "PK-PB", "PK-PB-GUJRAT-DIV", "وزیرآباد"),  # 2022
    # Lahore Division
    District("PK-PB-LAHORE", "Lahore", "PK-PB", "PK-PB-LAHORE-DIV", "لاہور"),
    District("PK-PB-KASUR", "Kasur", "PK-PB", "PK-PB-LAHORE-DIV", "قصور"),
    District("PK-PB-NANKANA-SAHIB", "Nankana Sahib", "PK-PB", "PK-PB-LAHORE-DIV", "ننکانہ صاحب"),
    District("PK-PB-SHEIKHUPURA", "Sheikhupura", "PK-PB", "PK-PB-LAHORE-DIV", "شیخوپورہ"),
    # Multan Division
    District("PK-PB-MULTAN", "Multan", "PK-PB", "PK-PB-MULTAN-DIV", "ملتان"),
    District("PK-PB-KHANEWAL", "Khanewal", "PK-PB", "PK-PB-MULTAN-DIV", "خانیوال"),
    District("PK-PB-LODHRAN", "Lodhran", "PK-PB", "PK-PB-MULTAN-DIV", "لودھراں"),
    District("PK-PB-VEHARI", "Vehari", "PK-PB", "PK-PB-MULTAN-DIV", "وہاڑی"),
    # Rawalpindi Division
    District("PK-PB-RAWALPINDI", "Rawalpindi", "PK-PB", "PK-PB-RAWALPINDI-DIV", "راولپنڈی"),
    District("PK-PB-ATTOCK", "Attock", "PK-PB", "PK-PB-RAWALPINDI-DIV", "اٹک"),
    District("PK-PB-CHAKWAL", "Chakwal", "PK-PB", "PK-PB-RAWALPINDI-DIV", "چکوال"),
    District("PK-PB-JHELUM", "Jhelum", "PK-PB", "PK-PB-RAWALPINDI-DIV", "جہلم"),
    District("PK-PB-MURREE", "Murree", "PK-PB", "PK-PB-RAWALPINDI-DIV", "مری"),  # 2022
    District("PK-PB-TALAGANG", "Talagang", "PK-PB", "PK-PB-RAWALPINDI-DIV", "تلہ گنگ"),  # 2022
    # Sahiwal Division
    District("PK-PB-SAHIWAL", "Sahiwal", "PK-PB", "PK-PB-SAHIWAL-DIV", "ساہیوال"),
    District("PK-PB-OKARA", "Okara", "PK-PB", "PK-PB-SAHIWAL-DIV", "اوکاڑہ"),
    District("PK-PB-PAKPATTAN", "Pakpattan", "PK-PB", "PK-PB-SAHIWAL-DIV", "پاکپتن"),
    # Sargodha Division
    District("PK-PB-SARGODHA", "Sargodha", "PK-PB", "PK-PB-SARGODHA-DIV", "سرگودھا"),
    District("PK-PB-BHAKKAR", "Bhakkar", "PK-PB", "PK-PB-SARGODHA-DIV", "بھکر"),
    District("PK-PB-KHUSHAB", "Khushab", "PK-PB", "PK-PB-SARGODHA-DIV", "خوشاب"),
    District("PK-PB-MIANWALI", "Mianwali", "PK-PB", "PK-PB-SARGODHA-DIV", "میانوالی"),
    # ------------------------------------------------------------------
    # Sindh (30)
    # ------------------------------------------------------------------
    # Banbhore Division
    District("PK-SD-THATTA", "Thatta", "PK-SD", "PK-SD-BANBHORE-DIV", "ٹھٹھہ"),
    District("PK-SD-BADIN", "Badin", "PK-SD", "PK-SD-BANBHORE-DIV", "بدین"),
    District("PK-SD-SUJAWAL", "Sujawal", "PK-SD", "PK-SD-BANBHORE-DIV", "سجاول"),
    # Hyderabad Division
    District("PK-SD-HYDERABAD", "Hyderabad", "PK-SD", "PK-SD-HYDERABAD-DIV", "حیدرآباد"),
    District("PK-SD-DADU", "Dadu", "PK-SD", "PK-SD-HYDERABAD-DIV", "دادو"),
    District("PK-SD-JAMSHORO", "Jamshoro", "PK-SD", "PK-SD-HYDERABAD-DIV", "جامشورو"),
    District("PK-SD-MATIARI", "Matiari", "PK-SD", "PK-SD-HYDERABAD-DIV", "مٹیاری"),
    District("PK-SD-TANDO-ALLAHYAR", "Tando Allahyar", "PK-SD", "PK-SD-HYDERABAD-DIV", "ٹنڈو الہ یار"),
    District(
        "PK-SD-TANDO-MUHAMMAD-KHAN", "Tando Muhammad Khan", "PK-SD", "PK-SD-HYDERABAD-DIV", "ٹنڈو محمد خان"
    ),
    # Karachi Division (Keamari split from Karachi West in 2020)
    District("PK-SD-KARACHI-CENTRAL", "Karachi Central", "PK-SD", "PK-SD-KARACHI-DIV", "کراچی وسطی"),
    District("PK-SD-KARACHI-EAST", "Karachi East", "PK-SD", "PK-SD-KARACHI-DIV", "کراچی شرقی"),
    District("PK-SD-KARACHI-SOUTH", "Karachi South", "PK-SD", "PK-SD-KARACHI-DIV", "کراچی جنوبی"),
    District("PK-SD-KARACHI-WEST", "Karachi West", "PK-SD", "PK-SD-KARACHI-DIV", "کراچی غربی"),
    District("PK-SD-KEAMARI", "Keamari", "PK-SD", "PK-SD-KARACHI-DIV", "کیماڑی"),
    District("PK-SD-KORANGI", "Korangi", "PK-SD", "PK-SD-KARACHI-DIV", "کورنگی"),
    District("PK-SD-MALIR", "Malir", "PK-SD", "PK-SD-KARACHI-DIV", "ملیر"),
    # Larkana Division
    District("PK-SD-LARKANA", "Larkana", "PK-SD", "PK-SD-LARKANA-DIV", "لاڑکانہ"),
    District("PK-SD-JACOBABAD", "Jacobabad", "PK-SD", "PK-SD-LARKANA-DIV", "جیکب آباد"),
    District("PK-SD-KASHMORE", "Kashmore", "PK-SD", "PK-SD-LARKANA-DIV", "کشمور"),
    District("PK-SD-QAMBAR-SHAHDADKOT", "Qambar Shahdadkot", "PK-SD", "PK-SD-LARKANA-DIV", "قمبر شہدادکوٹ"),
    District("PK-SD-SHIKARPUR", "Shikarpur", "PK-SD", "PK-SD-LARKANA-DIV", "شکارپور"),
    # Mirpur Khas Division
    District("PK-SD-MIRPUR-KHAS", "Mirpur Khas", "PK-SD", "PK-SD-MIRPUR-KHAS-DIV", "میرپورخاص"),
    District("PK-SD-THARPARKAR", "Tharparkar", "PK-SD", "PK-SD-MIRPUR-KHAS-DIV", "تھرپارکر"),
    District("PK-SD-UMERKOT", "Umerkot", "PK-SD", "PK-SD-MIRPUR-KHAS-DIV", "عمرکوٹ"),
    # Shaheed Benazirabad Division
    District(
        "PK-SD-SHAHEED-BENAZIRABAD",
        "Shaheed Benazirabad",
        "PK-SD",
        "PK-SD-SHAHEED-BENAZIRABAD-DIV",
        "شہید بینظیر آباد",
    ),
    District(
        "PK-SD-NAUSHAHRO-FEROZE", "Naushahro Feroze", "PK-SD", "PK-SD-SHAHEED-BENAZIRABAD-DIV", "نوشہرو فیروز"
    ),
    District("PK-SD-SANGHAR", "Sanghar", "PK-SD", "PK-SD-SHAHEED-BENAZIRABAD-DIV", "سانگھڑ"),
    # Sukkur Division
    District("PK-SD-SUKKUR", "Sukkur", "PK-SD", "PK-SD-SUKKUR-DIV", "سکھر"),
    District("PK-SD-GHOTKI", "Ghotki", "PK-SD", "PK-SD-SUKKUR-DIV", "گھوٹکی"),
    District("PK-SD-KHAIRPUR", "Khairpur", "PK-SD", "PK-SD-SUKKUR-DIV", "خیرپور"),
    # ------------------------------------------------------------------
    # Khyber Pakhtunkhwa (36). Includes the merged former tribal districts
    # (Bajaur, Khyber, Kurram, Mohmand, North Waziristan, Orakzai and South
    # Waziristan, the latter split into Upper and Lower in 2022).
    # NOT included: Central Dir (notified from Upper Dir in January 2023 but
    # not enumerated separately in the 2023 census and not fully set up);
    # add it under Malakand Division if the deployment needs it.
    # ------------------------------------------------------------------
    # Bannu Division
    District("PK-KP-BANNU", "Bannu", "PK-KP", "PK-KP-BANNU-DIV", "بنوں"),
    District("PK-KP-LAKKI-MARWAT", "Lakki Marwat", "PK-KP", "PK-KP-BANNU-DIV", "لکی مروت"),
    District("PK-KP-NORTH-WAZIRISTAN", "North Waziristan", "PK-KP", "PK-KP-BANNU-DIV", "شمالی وزیرستان"),
    # Dera Ismail Khan Division
    District(
        "PK-KP-DERA-ISMAIL-KHAN",
        "Dera Ismail Khan",
        "PK-KP",
        "PK-KP-DERA-ISMAIL-KHAN-DIV",
        "ڈیرہ اسماعیل خان",
    ),
    District(
        "PK-KP-LOWER-SOUTH-WAZIRISTAN",
        "Lower South Waziristan",
        "PK-KP",
        "PK-KP-DERA-ISMAIL-KHAN-DIV",
        "زیریں جنوبی وزیرستان",
    ),
    District("PK-KP-TANK", "Tank", "PK-KP", "PK-KP-DERA-ISMAIL-KHAN-DIV", "ٹانک"),
    District(
        "PK-KP-UPPER-SOUTH-WAZIRISTAN",
        "Upper South Waziristan",
        "PK-KP",
        "PK-KP-DERA-ISMAIL-KHAN-DIV",
        "بالائی جنوبی وزیرستان",
    ),
    # Hazara Division
    District("PK-KP-ABBOTTABAD", "Abbottabad", "PK-KP", "PK-KP-HAZARA-DIV", "ایبٹ آباد"),
    District("PK-KP-BATTAGRAM", "Battagram", "PK-KP", "PK-KP-HAZARA-DIV", "بٹگرام"),
    District("PK-KP-HARIPUR", "Haripur", "PK-KP", "PK-KP-HAZARA-DIV", "ہری پور"),
    District("PK-KP-KOLAI-PALAS", "Kolai-Palas", "PK-KP", "PK-KP-HAZARA-DIV", "کولئی پالس"),
    District("PK-KP-LOWER-KOHISTAN", "Lower Kohistan", "PK-KP", "PK-KP-HAZARA-DIV", "زیریں کوہستان"),
    District("PK-KP-MANSEHRA", "Mansehra", "PK-KP", "PK-KP-HAZARA-DIV", "مانسہرہ"),
    District("PK-KP-TORGHAR", "Torghar", "PK-KP", "PK-KP-HAZARA-DIV", "تورغر"),
    District("PK-KP-UPPER-KOHISTAN", "Upper Kohistan", "PK-KP", "PK-KP-HAZARA-DIV", "بالائی کوہستان"),
    # Kohat Division
    District("PK-KP-KOHAT", "Kohat", "PK-KP", "PK-KP-KOHAT-DIV", "کوہاٹ"),
    District("PK-KP-HANGU", "Hangu", "PK-KP", "PK-KP-KOHAT-DIV", "ہنگو"),
    District("PK-KP-KARAK", "Karak", "PK-KP", "PK-KP-KOHAT-DIV", "کرک"),
    District("PK-KP-KURRAM", "Kurram", "PK-KP", "PK-KP-KOHAT-DIV", "کرم"),
    District("PK-KP-ORAKZAI", "Orakzai", "PK-KP", "PK-KP-KOHAT-DIV", "اورکزئی"),
    # Malakand Division (divisional HQ: Saidu Sharif / Mingora, Swat)
    District("PK-KP-SWAT", "Swat", "PK-KP", "PK-KP-MALAKAND-DIV", "سوات"),
    District("PK-KP-BAJAUR", "Bajaur", "PK-KP", "PK-KP-MALAKAND-DIV", "باجوڑ"),
    District("PK-KP-BUNER", "Buner", "PK-KP", "PK-KP-MALAKAND-DIV", "بونیر"),
    District("PK-KP-LOWER-CHITRAL", "Lower Chitral", "PK-KP", "PK-KP-MALAKAND-DIV", "زیریں چترال"),
    District("PK-KP-LOWER-DIR", "Lower Dir", "PK-KP", "PK-KP-MALAKAND-DIV", "زیریں دیر"),
    District("PK-KP-MALAKAND", "Malakand", "PK-KP", "PK-KP-MALAKAND-DIV", "مالاکنڈ"),
    District("PK-KP-SHANGLA", "Shangla", "PK-KP", "PK-KP-MALAKAND-DIV", "شانگلہ"),
    District("PK-KP-UPPER-CHITRAL", "Upper Chitral", "PK-KP", "PK-KP-MALAKAND-DIV", "بالائی چترال"),
    District("PK-KP-UPPER-DIR", "Upper Dir", "PK-KP", "PK-KP-MALAKAND-DIV", "بالائی دیر"),
    # Mardan Division
    District("PK-KP-MARDAN", "Mardan", "PK-KP", "PK-KP-MARDAN-DIV", "مردان"),
    District("PK-KP-SWABI", "Swabi", "PK-KP", "PK-KP-MARDAN-DIV", "صوابی"),
    # Peshawar Division
    District("PK-KP-PESHAWAR", "Peshawar", "PK-KP", "PK-KP-PESHAWAR-DIV", "پشاور"),
    District("PK-KP-CHARSADDA", "Charsadda", "PK-KP", "PK-KP-PESHAWAR-DIV", "چارسدہ"),
    District("PK-KP-KHYBER", "Khyber", "PK-KP", "PK-KP-PESHAWAR-DIV", "خیبر"),
    District("PK-KP-MOHMAND", "Mohmand", "PK-KP", "PK-KP-PESHAWAR-DIV", "مہمند"),
    District("PK-KP-NOWSHERA", "Nowshera", "PK-KP", "PK-KP-PESHAWAR-DIV", "نوشہرہ"),
    # ------------------------------------------------------------------
    # Balochistan (36). Chaman (2021), Hub and Usta Muhammad (2022) included.
    # NOT included: Karezat (cabinet-approved 2022, not operational) and
    # Lehri (created 2013, merged back into Sibi in 2018).
    # ------------------------------------------------------------------
    # Kalat Division
    District("PK-BA-KALAT", "Kalat", "PK-BA", "PK-BA-KALAT-DIV", "قلات"),
    District("PK-BA-AWARAN", "Awaran", "PK-BA", "PK-BA-KALAT-DIV", "آواران"),
    District("PK-BA-HUB", "Hub", "PK-BA", "PK-BA-KALAT-DIV", "حب"),  # 2022, from Lasbela
    District("PK-BA-KHUZDAR", "Khuzdar", "PK-BA", "PK-BA-KALAT-DIV", "خضدار"),
    District("PK-BA-LASBELA", "Lasbela", "PK-BA", "PK-BA-KALAT-DIV", "لسبیلہ"),
    District("PK-BA-MASTUNG", "Mastung", "PK-BA", "PK-BA-KALAT-DIV", "مستونگ"),
    District("PK-BA-SURAB", "Surab", "PK-BA", "PK-BA-KALAT-DIV", "سوراب"),
    # Loralai Division (2021, split from Zhob Division)
    District("PK-BA-LORALAI", "Loralai", "PK-BA", "PK-BA-LORALAI-DIV", "لورالائی"),
    District("PK-BA-BARKHAN", "Barkhan", "PK-BA", "PK-BA-LORALAI-DIV", "بارکھان"),
    District("PK-BA-DUKI", "Duki", "PK-BA", "PK-BA-LORALAI-DIV", "دکی"),
    District("PK-BA-MUSAKHEL", "Musakhel", "PK-BA", "PK-BA-LORALAI-DIV", "موسیٰ خیل"),
    # Makran Division (divisional HQ: Turbat, Kech)
    District("PK-BA-KECH", "Kech", "PK-BA", "PK-BA-MAKRAN-DIV", "کیچ"),
    District("PK-BA-GWADAR", "Gwadar", "PK-BA", "PK-BA-MAKRAN-DIV", "گوادر"),
    District("PK-BA-PANJGUR", "Panjgur", "PK-BA", "PK-BA-MAKRAN-DIV", "پنجگور"),
    # Nasirabad Division
    District("PK-BA-NASIRABAD", "Nasirabad", "PK-BA", "PK-BA-NASIRABAD-DIV", "نصیرآباد"),
    District("PK-BA-JAFFARABAD", "Jaffarabad", "PK-BA", "PK-BA-NASIRABAD-DIV", "جعفرآباد"),
    District("PK-BA-JHAL-MAGSI", "Jhal Magsi", "PK-BA", "PK-BA-NASIRABAD-DIV", "جھل مگسی"),
    District("PK-BA-KACHHI", "Kachhi", "PK-BA", "PK-BA-NASIRABAD-DIV", "کچھی"),
    District("PK-BA-SOHBATPUR", "Sohbatpur", "PK-BA", "PK-BA-NASIRABAD-DIV", "صحبت پور"),
    District("PK-BA-USTA-MUHAMMAD", "Usta Muhammad", "PK-BA", "PK-BA-NASIRABAD-DIV", "اوستہ محمد"),  # 2022
    # Quetta Division
    District("PK-BA-QUETTA", "Quetta", "PK-BA", "PK-BA-QUETTA-DIV", "کوئٹہ"),
    District("PK-BA-CHAMAN", "Chaman", "PK-BA", "PK-BA-QUETTA-DIV", "چمن"),  # 2021
    District("PK-BA-KILLA-ABDULLAH", "Killa Abdullah", "PK-BA", "PK-BA-QUETTA-DIV", "قلعہ عبداللہ"),
    District("PK-BA-PISHIN", "Pishin", "PK-BA", "PK-BA-QUETTA-DIV", "پشین"),
    # Rakhshan Division (2017; divisional HQ: Kharan)
    District("PK-BA-KHARAN", "Kharan", "PK-BA", "PK-BA-RAKHSHAN-DIV", "خاران"),
    District("PK-BA-CHAGAI", "Chagai", "PK-BA", "PK-BA-RAKHSHAN-DIV", "چاغی"),
    District("PK-BA-NOSHKI", "Noshki", "PK-BA", "PK-BA-RAKHSHAN-DIV", "نوشکی"),
    District("PK-BA-WASHUK", "Washuk", "PK-BA", "PK-BA-RAKHSHAN-DIV", "واشک"),
    # Sibi Division
    District("PK-BA-SIBI", "Sibi", "PK-BA", "PK-BA-SIBI-DIV", "سبی"),
    District("PK-BA-DERA-BUGTI", "Dera Bugti", "PK-BA", "PK-BA-SIBI-DIV", "ڈیرہ بگٹی"),
    District("PK-BA-HARNAI", "Harnai", "PK-BA", "PK-BA-SIBI-DIV", "ہرنائی"),
    District("PK-BA-KOHLU", "Kohlu", "PK-BA", "PK-BA-SIBI-DIV", "کوہلو"),
    District("PK-BA-ZIARAT", "Ziarat", "PK-BA", "PK-BA-SIBI-DIV", "زیارت"),
    # Zhob Division
    District("PK-BA-ZHOB", "Zhob", "PK-BA", "PK-BA-ZHOB-DIV", "ژوب"),
    District("PK-BA-KILLA-SAIFULLAH", "Killa Saifullah", "PK-BA", "PK-BA-ZHOB-DIV", "قلعہ سیف اللہ"),
    District("PK-BA-SHERANI", "Sherani", "PK-BA", "PK-BA-ZHOB-DIV", "شیرانی"),
    # ------------------------------------------------------------------
    # Islamabad Capital Territory (1, no division)
    # ------------------------------------------------------------------
    District("PK-IS-ISLAMABAD", "Islamabad", "PK-IS", None, "اسلام آباد"),
    # ------------------------------------------------------------------
    # Gilgit-Baltistan (14). Roundu, Darel, Tangir and Gupis-Yasin were
    # announced in 2019 and notified afterwards; they are included.
    # ------------------------------------------------------------------
    # Baltistan Division
    District("PK-GB-SKARDU", "Skardu", "PK-GB", "PK-GB-BALTISTAN-DIV", "سکردو"),
    District("PK-GB-GHANCHE", "Ghanche", "PK-GB", "PK-GB-BALTISTAN-DIV", "گانچھے"),
    District("PK-GB-KHARMANG", "Kharmang", "PK-GB", "PK-GB-BALTISTAN-DIV", "کھرمنگ"),
    District("PK-GB-ROUNDU", "Roundu", "PK-GB", "PK-GB-BALTISTAN-DIV", "روندو"),
    District("PK-GB-SHIGAR", "Shigar", "PK-GB", "PK-GB-BALTISTAN-DIV", "شگر"),
    # Diamer Division
    District("PK-GB-DIAMER", "Diamer", "PK-GB", "PK-GB-DIAMER-DIV", "دیامر"),
    District("PK-GB-ASTORE", "Astore", "PK-GB", "PK-GB-DIAMER-DIV", "استور"),
    District("PK-GB-DAREL", "Darel", "PK-GB", "PK-GB-DIAMER-DIV", "داریل"),
    District("PK-GB-TANGIR", "Tangir", "PK-GB", "PK-GB-DIAMER-DIV", "تانگیر"),
    # Gilgit Division
    District("PK-GB-GILGIT", "Gilgit", "PK-GB", "PK-GB-GILGIT-DIV", "گلگت"),
    District("PK-GB-GHIZER", "Ghizer", "PK-GB", "PK-GB-GILGIT-DIV", "غذر"),
    District("PK-GB-GUPIS-YASIN", "Gupis-Yasin", "PK-GB", "PK-GB-GILGIT-DIV", "گوپس یاسین"),
    District("PK-GB-HUNZA", "Hunza", "PK-GB", "PK-GB-GILGIT-DIV", "ہنزہ"),
    District("PK-GB-NAGAR", "Nagar", "PK-GB", "PK-GB-GILGIT-DIV", "نگر"),
    # ------------------------------------------------------------------
    # Azad Jammu and Kashmir (10)
    # ------------------------------------------------------------------
    # Mirpur Division
    District("PK-JK-MIRPUR", "Mirpur", "PK-JK", "PK-JK-MIRPUR-DIV", "میرپور"),
    District("PK-JK-BHIMBER", "Bhimber", "PK-JK", "PK-JK-MIRPUR-DIV", "بھمبر"),
    District("PK-JK-KOTLI", "Kotli", "PK-JK", "PK-JK-MIRPUR-DIV", "کوٹلی"),
    # Muzaffarabad Division
    District("PK-JK-MUZAFFARABAD", "Muzaffarabad", "PK-JK", "PK-JK-MUZAFFARABAD-DIV", "مظفرآباد"),
    # Hattian Bala is also officially styled "Jhelum Valley".
    District("PK-JK-HATTIAN-BALA", "Hattian Bala", "PK-JK", "PK-JK-MUZAFFARABAD-DIV", "ہٹیاں بالا"),
    District("PK-JK-NEELUM", "Neelum", "PK-JK", "PK-JK-MUZAFFARABAD-DIV", "نیلم"),
    # Poonch Division (divisional HQ: Rawalakot, Poonch)
    District("PK-JK-POONCH", "Poonch", "PK-JK", "PK-JK-POONCH-DIV", "پونچھ"),
    District("PK-JK-BAGH", "Bagh", "PK-JK", "PK-JK-POONCH-DIV", "باغ"),
    District("PK-JK-HAVELI", "Haveli", "PK-JK", "PK-JK-POONCH-DIV", "حویلی"),
    District("PK-JK-SUDHNOTI", "Sudhnoti", "PK-JK", "PK-JK-POONCH-DIV", "سدھنوتی"),
)


def _slug(name: str) -> str:
    """Upper-case ASCII code segment: spaces and punctuation become "-"."""
    out: list[str] = []
    for ch in name.upper():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def validate() -> None:
    """Self-check of the seed data; raises AssertionError on any problem."""
    all_codes = (
        [NATION_CODE]
        + [p.code for p in PROVINCES]
        + [d.code for d in DIVISIONS]
        + [d.code for d in DISTRICTS]
    )
    dupes = sorted({c for c in all_codes if all_codes.count(c) > 1})
    assert not dupes, f"duplicate codes: {dupes}"
    for code in all_codes:
        assert code.isascii(), f"non-ASCII code {code!r}"
        assert code == code.upper(), f"code not upper-case {code!r}"

    province_codes = {p.code for p in PROVINCES}
    division_province = {d.code: d.province for d in DIVISIONS}

    for div in DIVISIONS:
        assert div.province in province_codes, f"{div.code}: unknown province"
        assert div.name.endswith(" Division"), f"{div.code}: bad name"
        expected = f"{div.province}-{_slug(div.name.removesuffix(' Division'))}-DIV"
        assert div.code == expected, f"{div.code}: expected {expected}"

    order: list[tuple[int, int]] = []
    province_index = {p.code: i for i, p in enumerate(PROVINCES)}
    division_index = {d.code: i for i, d in enumerate(DIVISIONS)}
    for dist in DISTRICTS:
        assert dist.province in province_codes, f"{dist.code}: unknown province"
        expected = f"{dist.province}-{_slug(dist.name)}"
        assert dist.code == expected, f"{dist.code}: expected {expected}"
        assert dist.urdu_name.strip(), f"{dist.code}: missing Urdu name"
        if dist.division is None:
            assert dist.province == "PK-IS", f"{dist.code}: division required"
            order.append((province_index[dist.province], -1))
        else:
            assert dist.division in division_province, f"{dist.code}: unknown division {dist.division}"
            assert division_province[dist.division] == dist.province, (
                f"{dist.code}: division {dist.division} is in another province"
            )
            order.append((province_index[dist.province], division_index[dist.division]))
    assert order == sorted(order), "districts not ordered by province/division"

    used_divisions = {d.division for d in DISTRICTS if d.division is not None}
    empty = sorted(set(division_province) - used_divisions)
    assert not empty, f"divisions without districts: {empty}"

    assert 150 <= len(DISTRICTS) <= 175, f"district count {len(DISTRICTS)}"
