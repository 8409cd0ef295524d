package policy

// CountryCode returns the ITU-T E.164 country calling code of an E.164
// address, without the plus: "1" for +1 202 555 0100, "44" for a UK
// number, "353" for an Irish one, "881" for an Iridium satellite phone.
// It returns "" for anything else: no leading plus, a character other
// than a digit after it (E.164 addresses carry no spaces or dashes), more
// than 15 digits, no digits after the code, or a code ITU has not
// assigned (such as +210 or +289).
//
// Codes are prefix-free, so the longest assigned prefix is the only one.
// Countries sharing a code share the answer: every North American
// Numbering Plan member (the United States, Canada, much of the
// Caribbean, Guam…) is "1"; Russia and Kazakhstan are "7"; the Vatican
// is reached through "39" as well as its own "379".
func CountryCode(e164 string) string {
	if len(e164) < 2 || e164[0] != '+' {
		return ""
	}
	digits := e164[1:]
	if len(digits) > 15 {
		return ""
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return ""
		}
	}
	for n := 3; n >= 1; n-- {
		if len(digits) > n {
			if _, ok := callingCodes[digits[:n]]; ok {
				return digits[:n]
			}
		}
	}
	return ""
}

// callingCodes is the list of assigned E.164 country codes (ITU-T
// E.164 Supplement, "List of ITU-T Recommendation E.164 assigned country
// codes"), mapped to the countries, territories or global services that
// use them. Spare and withdrawn codes are absent; reserved codes in use
// by no one (such as 999) are absent too.
var callingCodes = map[string]string{
	"1": "North American Numbering Plan (United States, Canada, Caribbean and Pacific members)",
	"7": "Russia, Kazakhstan",

	"20": "Egypt", "211": "South Sudan", "212": "Morocco", "213": "Algeria", "216": "Tunisia",
	"218": "Libya", "220": "Gambia", "221": "Senegal", "222": "Mauritania", "223": "Mali",
	"224": "Guinea", "225": "Côte d'Ivoire", "226": "Burkina Faso", "227": "Niger", "228": "Togo",
	"229": "Benin", "230": "Mauritius", "231": "Liberia", "232": "Sierra Leone", "233": "Ghana",
	"234": "Nigeria", "235": "Chad", "236": "Central African Republic", "237": "Cameroon",
	"238": "Cabo Verde", "239": "Sao Tome and Principe", "240": "Equatorial Guinea", "241": "Gabon",
	"242": "Congo", "243": "Democratic Republic of the Congo", "244": "Angola", "245": "Guinea-Bissau",
	"246": "Diego Garcia", "247": "Ascension", "248": "Seychelles", "249": "Sudan", "250": "Rwanda",
	"251": "Ethiopia", "252": "Somalia", "253": "Djibouti", "254": "Kenya", "255": "Tanzania",
	"256": "Uganda", "257": "Burundi", "258": "Mozambique", "260": "Zambia", "261": "Madagascar",
	"262": "Réunion, Mayotte", "263": "Zimbabwe", "264": "Namibia", "265": "Malawi", "266": "Lesotho",
	"267": "Botswana", "268": "Eswatini", "269": "Comoros", "27": "South Africa",
	"290": "Saint Helena, Ascension and Tristan da Cunha", "291": "Eritrea", "297": "Aruba",
	"298": "Faroe Islands", "299": "Greenland",

	"30": "Greece", "31": "Netherlands", "32": "Belgium", "33": "France", "34": "Spain",
	"350": "Gibraltar", "351": "Portugal", "352": "Luxembourg", "353": "Ireland", "354": "Iceland",
	"355": "Albania", "356": "Malta", "357": "Cyprus", "358": "Finland", "359": "Bulgaria",
	"36": "Hungary", "370": "Lithuania", "371": "Latvia", "372": "Estonia", "373": "Moldova",
	"374": "Armenia", "375": "Belarus", "376": "Andorra", "377": "Monaco", "378": "San Marino",
	"379": "Vatican City State", "380": "Ukraine", "381": "Serbia", "382": "Montenegro",
	"383": "Kosovo", "385": "Croatia", "386": "Slovenia", "387": "Bosnia and Herzegovina",
	"388": "Group of countries, shared code", "389": "North Macedonia", "39": "Italy, Vatican City State",

	"40": "Romania", "41": "Switzerland", "420": "Czechia", "421": "Slovakia", "423": "Liechtenstein",
	"43": "Austria", "44": "United Kingdom", "45": "Denmark", "46": "Sweden", "47": "Norway",
	"48": "Poland", "49": "Germany",

	"500": "Falkland Islands", "501": "Belize", "502": "Guatemala", "503": "El Salvador",
	"504": "Honduras", "505": "Nicaragua", "506": "Costa Rica", "507": "Panama",
	"508": "Saint Pierre and Miquelon", "509": "Haiti", "51": "Peru", "52": "Mexico", "53": "Cuba",
	"54": "Argentina", "55": "Brazil", "56": "Chile", "57": "Colombia", "58": "Venezuela",
	"590": "Guadeloupe, Saint Barthélemy, Saint Martin", "591": "Bolivia", "592": "Guyana",
	"593": "Ecuador", "594": "French Guiana", "595": "Paraguay", "596": "Martinique",
	"597": "Suriname", "598": "Uruguay", "599": "Curaçao, Bonaire, Sint Eustatius and Saba",

	"60": "Malaysia", "61": "Australia", "62": "Indonesia", "63": "Philippines", "64": "New Zealand",
	"65": "Singapore", "66": "Thailand", "670": "Timor-Leste",
	"672": "Australian External Territories (Norfolk Island, Antarctica)", "673": "Brunei",
	"674": "Nauru", "675": "Papua New Guinea", "676": "Tonga", "677": "Solomon Islands",
	"678": "Vanuatu", "679": "Fiji", "680": "Palau", "681": "Wallis and Futuna", "682": "Cook Islands",
	"683": "Niue", "685": "Samoa", "686": "Kiribati", "687": "New Caledonia", "688": "Tuvalu",
	"689": "French Polynesia", "690": "Tokelau", "691": "Micronesia", "692": "Marshall Islands",

	"800": "International Freephone Service", "808": "International Shared Cost Service",
	"81": "Japan", "82": "Korea (Republic of)", "84": "Viet Nam", "850": "Korea (Democratic People's Republic of)",
	"852": "Hong Kong", "853": "Macao", "855": "Cambodia", "856": "Laos", "86": "China",
	"870": "Inmarsat", "878": "Universal Personal Telecommunication Service",
	"880": "Bangladesh", "881": "Global Mobile Satellite System", "882": "International Networks",
	"883": "International Networks", "886": "Taiwan",
	"888": "Telecommunications for Disaster Relief (OCHA)",

	"90": "Türkiye", "91": "India", "92": "Pakistan", "93": "Afghanistan", "94": "Sri Lanka",
	"95": "Myanmar", "960": "Maldives", "961": "Lebanon", "962": "Jordan", "963": "Syria",
	"964": "Iraq", "965": "Kuwait", "966": "Saudi Arabia", "967": "Yemen", "968": "Oman",
	"970": "Palestine", "971": "United Arab Emirates", "972": "Israel", "973": "Bahrain",
	"974": "Qatar", "975": "Bhutan", "976": "Mongolia", "977": "Nepal",
	"979": "International Premium Rate Service", "98": "Iran",
	"991": "International Telecommunications Public Correspondence Service trial (ITPCS)",
	"992": "Tajikistan", "993": "Turkmenistan", "994": "Azerbaijan", "995": "Georgia",
	"996": "Kyrgyzstan", "997": "Kazakhstan (assigned, not yet in use)", "998": "Uzbekistan",
}
